"""Unbound extensions, bound to the app in ``create_app``."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_wtf import CSRFProtect

from conference.db import db

__all__ = ["csrf", "db", "limiter", "login_manager", "migrate", "socketio"]

migrate = Migrate()
# gevent is set explicitly: auto-detection would pick eventlet if it were ever installed.
socketio = SocketIO(async_mode="gevent")
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

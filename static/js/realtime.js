// One way to open a Socket.IO connection, shared by every live page.
//
// Each tab sends a random key `k` with every Engine.IO request; nginx (deploy/nginx.conf)
// hashes on it so long-polling requests of one client stay on one app process, while clients
// behind one venue NAT still spread over all processes.
import { io } from "/static/vendor/socket.io.esm.min.js";

function stickyKey() {
  let key = sessionStorage.getItem("known-sticky");
  if (!key) {
    key = crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2);
    sessionStorage.setItem("known-sticky", key);
  }
  return key;
}

// WebSocket first (one request instead of a polling handshake and an upgrade, which matters
// when a keynote room joins at once); where a proxy or venue network refuses WebSockets,
// `tryAllTransports` falls back to long-polling instead of retrying the WebSocket forever.
export function connect(namespace, options = {}) {
  return io(namespace, {
    transports: ["websocket", "polling"],
    tryAllTransports: true,
    ...options,
    query: { k: stickyKey(), ...(options.query || {}) },
  });
}

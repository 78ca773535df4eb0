// A sound and a vibration per outcome, so staff need not look at the phone for every scan.
// The tones are synthesised with WebAudio: no audio files to download or cache.

const TONES = {
  ok: [{ f: 880, d: 0.09 }, { f: 1320, d: 0.14 }],
  warn: [{ f: 660, d: 0.12 }, { f: 0, d: 0.06 }, { f: 660, d: 0.12 }],
  bad: [{ f: 196, d: 0.42, type: "square" }],
  info: [{ f: 520, d: 0.08 }],
};
const VIBRATIONS = { ok: [70], warn: [120, 80, 120], bad: [350, 120, 350], info: [30] };
const MUTE_KEY = "known-scanner-muted";

let context = null;

/** Create or wake the audio context; browsers allow this only inside a user gesture. */
export function unlockAudio() {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return;
  if (!context) context = new Ctx();
  if (context.state === "suspended") context.resume().catch(() => {});
}

export function isMuted() {
  return localStorage.getItem(MUTE_KEY) === "1";
}

export function setMuted(muted) {
  localStorage.setItem(MUTE_KEY, muted ? "1" : "0");
}

/** Beep and buzz for an outcome: "ok", "warn", "bad" or "info". */
export function signal(kind) {
  if (navigator.vibrate) {
    try { navigator.vibrate(VIBRATIONS[kind] || VIBRATIONS.info); } catch { /* not allowed yet */ }
  }
  if (isMuted() || !context || context.state !== "running") return;
  let t = context.currentTime + 0.01;
  for (const tone of TONES[kind] || TONES.info) {
    if (tone.f) {
      const osc = context.createOscillator();
      const gain = context.createGain();
      osc.type = tone.type || "sine";
      osc.frequency.value = tone.f;
      // A short attack and release: no clicks at the edges of the tone.
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.35, t + 0.015);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + tone.d);
      osc.connect(gain).connect(context.destination);
      osc.start(t);
      osc.stop(t + tone.d + 0.02);
    }
    t += tone.d;
  }
}

// Camera scanning and photo decoding. The browser's BarcodeDetector where it reads QR codes
// (Android Chrome, macOS); jsQR from npm (static/vendor/jsQR.js) everywhere else, iOS Safari
// included, on frames drawn into a canvas a few times per second.

const FRAME_INTERVAL_MS = 110; // ~9 decodes per second: quick to react, gentle on the battery
const MAX_FRAME_SIDE = 720;

let detectorPromise = null;

/** The best QR decoder this browser has: {name, detect(source, width, height)}. */
export function qrDecoder() {
  if (!detectorPromise) detectorPromise = pickDecoder();
  return detectorPromise;
}

async function pickDecoder() {
  return (await nativeDecoder()) || jsqrDecoder();
}

async function nativeDecoder() {
  if (!("BarcodeDetector" in window)) return null;
  try {
    const formats = await window.BarcodeDetector.getSupportedFormats();
    if (!formats.includes("qr_code")) return null;
    const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    return {
      name: "BarcodeDetector",
      async detect(source) {
        const codes = await detector.detect(source);
        return codes.length ? codes[0].rawValue : null;
      },
    };
  } catch {
    return null;
  }
}

function jsqrDecoder() {
  if (typeof window.jsQR !== "function") return null;
  const canvas = document.createElement("canvas");
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  return {
    name: "jsQR",
    async detect(source, width, height, thorough = false, maxSide = MAX_FRAME_SIDE) {
      const scale = Math.min(1, maxSide / Math.max(width, height));
      canvas.width = Math.max(1, Math.round(width * scale));
      canvas.height = Math.max(1, Math.round(height * scale));
      ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
      const image = ctx.getImageData(0, 0, canvas.width, canvas.height);
      const code = window.jsQR(image.data, image.width, image.height, {
        inversionAttempts: thorough ? "attemptBoth" : "dontInvert",
      });
      return code ? code.data : null;
    },
  };
}

/** Decode the QR code in a photo file; null when there is none. */
export async function decodePhoto(file) {
  const native = await nativeDecoder();
  const jsqr = jsqrDecoder();
  if (!native && !jsqr) throw new Error("This browser has no QR decoder.");
  const bitmap = await createImageBitmap(file);
  try {
    if (native) {
      const found = await native.detect(bitmap);
      if (found) return found;
    }
    if (!jsqr) return null;
    // jsQR finds a small code in a big photo more often when it tries a few sizes.
    for (const side of [1400, 900, 600]) {
      const found = await jsqr.detect(bitmap, bitmap.width, bitmap.height, true, side);
      if (found) return found;
    }
    return null;
  } finally {
    bitmap.close?.();
  }
}

/** The phone camera as a stream of decoded QR texts. */
export class Camera {
  constructor(video, { onCode, onState }) {
    this.video = video;
    this.onCode = onCode;
    this.onState = onState || (() => {});
    this.stream = null;
    this.facing = "environment";
    this.torchOn = false;
    this.timer = null;
    this.busy = false;
  }

  get running() {
    return Boolean(this.stream);
  }

  get track() {
    return this.stream ? this.stream.getVideoTracks()[0] : null;
  }

  /** Whether the current camera has a torch the page can switch. */
  get torchSupported() {
    const track = this.track;
    if (!track || typeof track.getCapabilities !== "function") return false;
    try { return Boolean(track.getCapabilities().torch); } catch { return false; }
  }

  async start(facing = this.facing) {
    if (!navigator.mediaDevices?.getUserMedia) {
      throw new Error(window.isSecureContext
        ? "This browser cannot use the camera. Use a photo, a scanner or the search."
        : "The camera needs a secure (https) connection. Use a photo, a scanner or the search.");
    }
    this.stop();
    this.facing = facing;
    this.stream = await navigator.mediaDevices.getUserMedia({
      audio: false,
      video: { facingMode: { ideal: facing }, width: { ideal: 1280 }, height: { ideal: 720 } },
    });
    this.video.srcObject = this.stream;
    this.video.setAttribute("playsinline", "");
    this.video.muted = true;
    await this.video.play().catch(() => {});
    this.torchOn = false;
    this.decoder = await qrDecoder();
    this.onState({ running: true, facing, torch: this.torchSupported, decoder: this.decoder?.name });
    this.loop();
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = null;
    if (this.stream) for (const track of this.stream.getTracks()) track.stop();
    this.stream = null;
    this.video.srcObject = null;
    this.onState({ running: false });
  }

  async flip() {
    await this.start(this.facing === "environment" ? "user" : "environment");
  }

  async toggleTorch() {
    const track = this.track;
    if (!track || !this.torchSupported) return false;
    this.torchOn = !this.torchOn;
    await track.applyConstraints({ advanced: [{ torch: this.torchOn }] });
    return this.torchOn;
  }

  loop() {
    this.timer = setTimeout(() => this.tick(), FRAME_INTERVAL_MS);
  }

  async tick() {
    if (!this.stream) return;
    const video = this.video;
    if (!this.busy && !document.hidden && this.decoder && video.readyState >= 2 && video.videoWidth) {
      this.busy = true;
      try {
        const text = await this.decoder.detect(video, video.videoWidth, video.videoHeight);
        if (text) this.onCode(text);
      } catch { /* a frame that could not be read; the next one may */ }
      this.busy = false;
    }
    if (this.stream) this.loop();
  }
}

/** Whether the page may start the camera without asking (permission already granted). */
export async function cameraAllowed() {
  try {
    const status = await navigator.permissions.query({ name: "camera" });
    return status.state === "granted";
  } catch {
    return false;
  }
}

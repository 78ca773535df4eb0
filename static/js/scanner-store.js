// The scanner's memory on this device (IndexedDB): the offline roster of each list, the queue
// of scans waiting for the network, who was admitted here while offline, and sync warnings.
// Everything survives reloads; a queued scan leaves only once the server has decided it.

const DB_NAME = "known-checkin";
const DB_VERSION = 1;
let opening = null;

function open() {
  if (opening) return opening;
  opening = new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains("rosters")) db.createObjectStore("rosters", { keyPath: "key" });
      if (!db.objectStoreNames.contains("queue")) {
        db.createObjectStore("queue", { keyPath: "seq", autoIncrement: true });
      }
      if (!db.objectStoreNames.contains("seen")) db.createObjectStore("seen", { keyPath: "key" });
      if (!db.objectStoreNames.contains("warnings")) {
        db.createObjectStore("warnings", { keyPath: "id", autoIncrement: true });
      }
    };
    request.onsuccess = () => {
      const db = request.result;
      // Another tab upgrading the schema must not be blocked by this one.
      db.onversionchange = () => { db.close(); opening = null; };
      resolve(db);
    };
    request.onerror = () => { opening = null; reject(request.error); };
    request.onblocked = () => reject(new Error("IndexedDB is blocked by another tab"));
  });
  return opening;
}

async function run(storeName, mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(storeName, mode);
    const store = tx.objectStore(storeName);
    let result;
    Promise.resolve(fn(store)).then((value) => { result = value; }, reject);
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("transaction aborted"));
  });
}

function req(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export const listKey = (slug, listId) => `${slug}/${listId}`;

/** The stored roster of a list, or null. */
export function getRoster(slug, listId) {
  return run("rosters", "readonly", (s) => req(s.get(listKey(slug, listId)))).then((r) => r || null);
}

/** Replace the stored roster of a list. */
export function putRoster(slug, listId, roster) {
  const record = { ...roster, key: listKey(slug, listId), slug, listId, fetched_at: new Date().toISOString() };
  return run("rosters", "readwrite", (s) => req(s.put(record))).then(() => record);
}

/** Add a scan to the end of the queue; resolves to its sequence number. */
export function enqueue(item) {
  return run("queue", "readwrite", (s) => req(s.add({ ...item, queued_at: new Date().toISOString() })));
}

/** The queued scans of one event, oldest first. */
export async function queued(slug) {
  const all = await run("queue", "readonly", (s) => req(s.getAll()));
  return all.filter((item) => item.slug === slug).sort((a, b) => a.seq - b.seq);
}

/** Remove one queued scan (after the server decided it, or the staff undid it). */
export function dequeue(seq) {
  return run("queue", "readwrite", (s) => req(s.delete(seq)));
}

/** Whether the queued scan with this sequence number is still waiting. */
export function stillQueued(seq) {
  return run("queue", "readonly", (s) => req(s.getKey(seq))).then((key) => key !== undefined);
}

/** The queued scan with this nonce, if it is still waiting. */
export async function findQueued(slug, nonce) {
  return (await queued(slug)).find((item) => item.body.nonce === nonce) || null;
}

/** Remember that an attendee was admitted on this device while offline. */
export function markSeen(slug, listId, attendeeId, at) {
  const key = `${listKey(slug, listId)}/${attendeeId}`;
  return run("seen", "readwrite", (s) => req(s.put({ key, slug, listId, attendeeId, at })));
}

/** Forget an offline admission (the staff undid it). */
export function unmarkSeen(slug, listId, attendeeId) {
  return run("seen", "readwrite", (s) => req(s.delete(`${listKey(slug, listId)}/${attendeeId}`)));
}

/** attendee id -> time admitted on this device while offline, for one list. */
export async function seenOn(slug, listId) {
  const prefix = `${listKey(slug, listId)}/`;
  const all = await run("seen", "readonly", (s) => req(s.getAll()));
  return new Map(all.filter((r) => r.key.startsWith(prefix)).map((r) => [r.attendeeId, r.at]));
}

/** Forget the offline admissions of a list once a fresh roster from the server covers them. */
export async function clearSeen(slug, listId) {
  const prefix = `${listKey(slug, listId)}/`;
  return run("seen", "readwrite", async (s) => {
    const keys = await req(s.getAllKeys());
    for (const key of keys) if (String(key).startsWith(prefix)) s.delete(key);
  });
}

/** Keep a sync warning until the staff dismiss it. */
export function addWarning(warning) {
  return run("warnings", "readwrite", (s) => req(s.add({ ...warning, at: new Date().toISOString() })));
}

/** The sync warnings of one event, newest first. */
export async function warnings(slug) {
  const all = await run("warnings", "readonly", (s) => req(s.getAll()));
  return all.filter((w) => w.slug === slug).sort((a, b) => b.id - a.id);
}

/** Dismiss the sync warnings of one event. */
export async function clearWarnings(slug) {
  const mine = await warnings(slug);
  return run("warnings", "readwrite", (s) => { for (const w of mine) s.delete(w.id); });
}

/** Forget the rosters and offline admissions of one event (the queue and warnings stay). */
export async function forgetEvent(slug) {
  const prefix = `${slug}/`;
  for (const name of ["rosters", "seen"]) {
    await run(name, "readwrite", async (s) => {
      const keys = await req(s.getAllKeys());
      for (const key of keys) if (String(key).startsWith(prefix)) s.delete(key);
    });
  }
}

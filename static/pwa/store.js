/* 我的走访: what the phone keeps (IndexedDB "county-visits").
 *
 *   meta      key → value: "worklist" (when prepared, by whom, the form's choices)
 *   children  the worklist's children (as the API gave them, masked)
 *   members   every child of the worklist's households (id, name, birth date, household)
 *   entries   visits entered on the phone: state pending (待同步) / synced (已同步) /
 *             conflict (冲突) / rejected (需修改), with the photo as a Blob
 *
 * VisitStore.wipe() forgets the worklist and every settled entry; entries not yet on the server
 * stay, kept for the official who typed them (owner), unless `everything` is asked for.
 */
"use strict";

(function () {
  const NAME = "county-visits";
  const VERSION = 1;
  let opening = null;

  function promisify(request) {
    return new Promise((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  function open() {
    if (!opening) {
      opening = new Promise((resolve, reject) => {
        const request = indexedDB.open(NAME, VERSION);
        request.onupgradeneeded = () => {
          const db = request.result;
          db.createObjectStore("meta");
          db.createObjectStore("children", { keyPath: "id" });
          const members = db.createObjectStore("members", { keyPath: "id" });
          members.createIndex("household", "household");
          const entries = db.createObjectStore("entries", { keyPath: "id" });
          entries.createIndex("created", "created_at");
        };
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
        request.onblocked = () => reject(new Error("blocked"));
      });
    }
    return opening;
  }

  async function tx(stores, mode, work) {
    const db = await open();
    const transaction = db.transaction(stores, mode);
    const done = new Promise((resolve, reject) => {
      transaction.oncomplete = () => resolve();
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error || new Error("aborted"));
    });
    const result = await work(transaction);
    await done;
    return result;
  }

  const VisitStore = {
    async savePrepared(worklist) {
      const choices = worklist.choices;
      await tx(["meta", "children", "members"], "readwrite", (t) => {
        t.objectStore("children").clear();
        t.objectStore("members").clear();
        for (const child of worklist.children) t.objectStore("children").put(child);
        for (const member of worklist.household_children) t.objectStore("members").put(member);
        t.objectStore("meta").put(
          {
            generated_at: worklist.generated_at,
            prepared_at: new Date().toISOString(),
            username: worklist.username,
            choices: choices,
            count: worklist.children.length,
            bytes: new Blob([JSON.stringify(worklist)]).size,
          },
          "worklist"
        );
      });
    },
    async meta() {
      return tx(["meta"], "readonly", (t) => promisify(t.objectStore("meta").get("worklist")));
    },
    async children() {
      return tx(["children"], "readonly", (t) => promisify(t.objectStore("children").getAll()));
    },
    async child(id) {
      return tx(["children"], "readonly", (t) => promisify(t.objectStore("children").get(id)));
    },
    async putChild(child) {
      return tx(["children"], "readwrite", (t) => promisify(t.objectStore("children").put(child)));
    },
    async members(household) {
      return tx(["members"], "readonly", (t) =>
        promisify(t.objectStore("members").index("household").getAll(household))
      );
    },
    async entries() {
      const all = await tx(["entries"], "readonly", (t) =>
        promisify(t.objectStore("entries").index("created").getAll())
      );
      return all;
    },
    async entry(id) {
      return tx(["entries"], "readonly", (t) => promisify(t.objectStore("entries").get(id)));
    },
    async putEntry(entry) {
      return tx(["entries"], "readwrite", (t) => promisify(t.objectStore("entries").put(entry)));
    },
    async deleteEntry(id) {
      return tx(["entries"], "readwrite", (t) => promisify(t.objectStore("entries").delete(id)));
    },
    async wipe(everything) {
      await tx(["meta", "children", "members", "entries"], "readwrite", async (t) => {
        t.objectStore("meta").clear();
        t.objectStore("children").clear();
        t.objectStore("members").clear();
        const entries = t.objectStore("entries");
        if (everything) {
          entries.clear();
          return;
        }
        const all = await promisify(entries.getAll());
        for (const entry of all) {
          if (entry.state === "synced") entries.delete(entry.id);
        }
      });
      if (self.caches) {
        const names = await caches.keys();
        await Promise.all(names.filter((n) => n.startsWith("visits-")).map((n) => caches.delete(n)));
      }
    },
  };

  self.VisitStore = VisitStore;
})();

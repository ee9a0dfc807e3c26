/* On the login page (reached after a logout, or when a login ended or was refused): 我的走访's
 * downloaded worklist and its cached page are wiped from this phone. Visits typed and not yet
 * synced stay for the official who typed them: the app sends them after they log in again. */
"use strict";
if (self.VisitStore && self.indexedDB) {
  self.VisitStore.wipe(false).catch(() => {});
}

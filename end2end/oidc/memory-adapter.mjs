// A small in-memory storage adapter for oidc-provider, one store per provider instance.
// (oidc-provider's own development adapter is one LRU of 1000 entries shared by all
// providers in the process, and warns on every start.) Everything is lost on exit.

const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);

const now = () => Math.floor(Date.now() / 1000);

/** Returns an adapter class for oidc-provider's `adapter` configuration. */
export function memoryAdapter() {
  const store = new Map(); // key -> { value, exp (epoch seconds) | undefined }

  const get = (key) => {
    const entry = store.get(key);
    if (!entry) return undefined;
    if (entry.exp !== undefined && entry.exp <= now()) {
      store.delete(key);
      return undefined;
    }
    return entry.value;
  };
  const set = (key, value, expiresIn) => {
    store.set(key, { value, exp: expiresIn ? now() + expiresIn : undefined });
    if (store.size > 10_000) {
      for (const [k, e] of store) if (e.exp !== undefined && e.exp <= now()) store.delete(k);
    }
  };

  return class MemoryAdapter {
    constructor(model) {
      this.model = model;
    }

    key(id) {
      return `${this.model}:${id}`;
    }

    async upsert(id, payload, expiresIn) {
      const key = this.key(id);
      if (this.model === 'Session') set(`sessionUid:${payload.uid}`, id, expiresIn);
      if (GRANTABLE.has(this.model) && payload.grantId) {
        // The list of a grant's tokens lives as long as its longest-lived token.
        const grantKey = `grant:${payload.grantId}`;
        const entry = store.get(grantKey);
        const exp = expiresIn ? now() + expiresIn : undefined;
        if (entry) {
          entry.value.push(key);
          if (entry.exp !== undefined) entry.exp = exp === undefined ? undefined : Math.max(entry.exp, exp);
        } else {
          store.set(grantKey, { value: [key], exp });
        }
      }
      if (payload.userCode) set(`userCode:${payload.userCode}`, id, expiresIn);
      set(key, payload, expiresIn);
    }

    async find(id) {
      return get(this.key(id));
    }

    async findByUid(uid) {
      const id = get(`sessionUid:${uid}`);
      return id === undefined ? undefined : this.find(id);
    }

    async findByUserCode(userCode) {
      const id = get(`userCode:${userCode}`);
      return id === undefined ? undefined : this.find(id);
    }

    async consume(id) {
      const payload = get(this.key(id));
      if (payload) payload.consumed = now();
    }

    async destroy(id) {
      store.delete(this.key(id));
    }

    async revokeByGrantId(grantId) {
      const grantKey = `grant:${grantId}`;
      for (const key of get(grantKey) ?? []) store.delete(key);
      store.delete(grantKey);
    }
  };
}

// Trust levels (Vertrauensniveaus) of the test Servicekonto and the login methods
// that grant them. The acr values are the eIDAS levels of assurance.

export const LOA_LOW = 'http://eidas.europa.eu/LoA/low';
export const LOA_SUBSTANTIAL = 'http://eidas.europa.eu/LoA/substantial';
export const LOA_HIGH = 'http://eidas.europa.eu/LoA/high';

/** acr value -> { rank, label (German name of the Vertrauensniveau) }, lowest first. */
export const LEVELS = new Map([
  [LOA_LOW, { rank: 1, label: 'Basisregistrierung' }],
  [LOA_SUBSTANTIAL, { rank: 2, label: 'substantiell' }],
  [LOA_HIGH, { rank: 3, label: 'hoch' }],
]);

/** All supported acr values, lowest first (oidc-provider's `acrValues`). */
export const ACR_VALUES = [...LEVELS.keys()];

/**
 * The login methods offered on the login page. `value` is the radio button's value,
 * `acr` the trust level it grants, `amr` the authentication methods (RFC 8176 names).
 */
export const METHODS = [
  {
    value: 'passwort',
    label: 'Benutzername und Passwort (Basisregistrierung)',
    acr: LOA_LOW,
    amr: ['pwd'],
  },
  {
    value: 'elster',
    label: 'ELSTER-Zertifikat (substantiell)',
    acr: LOA_SUBSTANTIAL,
    amr: ['swk', 'pwd', 'mfa'],
  },
  {
    value: 'ausweis',
    label: 'Online-Ausweis (hoch)',
    acr: LOA_HIGH,
    amr: ['sc', 'pin', 'mfa'],
  },
];

export function methodByValue(value) {
  return METHODS.find((m) => m.value === value);
}

/** Rank of an acr value: 0 for none or an unknown value. */
export function rank(acr) {
  return LEVELS.get(acr)?.rank ?? 0;
}

export function label(acr) {
  return LEVELS.get(acr)?.label ?? acr;
}

/** The lowest known level among `values`, or null when none is known. */
function lowestKnown(values) {
  const known = values.filter((v) => LEVELS.has(v));
  if (known.length === 0) return null;
  return known.reduce((a, b) => (rank(b) < rank(a) ? b : a));
}

/**
 * The minimum trust level an authorization request asks for, or null.
 *
 * The levels are ordered: a higher level satisfies a lower one. So
 * - `acr_values` (space separated) requires the lowest known level it lists,
 * - a `claims` parameter with an essential `id_token.acr` (`value` or `values`) requires
 *   the lowest known level it lists,
 * and when both are present the higher of the two is required. Unknown acr values are
 * ignored. `params` holds the raw request parameters (strings), as in
 * `ctx.oidc.params` or the interaction's `params`.
 */
export function requiredAcr(params) {
  const wanted = [];
  if (typeof params.acr_values === 'string' && params.acr_values.trim() !== '') {
    wanted.push(lowestKnown(params.acr_values.trim().split(/\s+/)));
  }
  if (typeof params.claims === 'string' && params.claims !== '') {
    let claims;
    try {
      claims = JSON.parse(params.claims);
    } catch {
      claims = undefined; // oidc-provider rejects invalid JSON itself
    }
    const acr = claims?.id_token?.acr;
    if (acr && acr.essential === true) {
      if (Array.isArray(acr.values)) wanted.push(lowestKnown(acr.values));
      if (typeof acr.value === 'string') wanted.push(lowestKnown([acr.value]));
    }
  }
  const known = wanted.filter(Boolean);
  if (known.length === 0) return null;
  return known.reduce((a, b) => (rank(b) > rank(a) ? b : a));
}

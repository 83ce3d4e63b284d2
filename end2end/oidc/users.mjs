// Test accounts of the Servicekonto test provider. All people and data are fictitious.
// `sub` is stable: the portal may store it as the citizen's identifier.

export const USERS = [
  {
    username: 'erika',
    password: 'erika-passwort',
    sub: '5f0c7e1a-3b2d-4c8e-9a61-0e6f2d9b7a01',
    claims: {
      name: 'Erika Mustermann',
      given_name: 'Erika',
      family_name: 'Mustermann',
      email: 'erika@example.org',
      email_verified: true,
      address: {
        street_address: 'Heidestraße 17',
        postal_code: '24103',
        locality: 'Kiel',
      },
    },
  },
  {
    username: 'max',
    password: 'max-passwort',
    sub: '8d3a94b2-6e1f-4f7c-b2d5-7c4e1a0f9e02',
    claims: {
      name: 'Max Mustermann',
      given_name: 'Max',
      family_name: 'Mustermann',
      email: 'max@example.org',
      email_verified: true,
      address: {
        street_address: 'Mühlenweg 3',
        postal_code: '24361',
        locality: 'Groß Wittensee',
      },
    },
  },
];

export function findByUsername(username) {
  return USERS.find((u) => u.username === username);
}

export function findBySub(sub) {
  return USERS.find((u) => u.sub === sub);
}

/** The user when username and password match, otherwise undefined. */
export function checkPassword(username, password) {
  const user = findByUsername(username);
  return user && user.password === password ? user : undefined;
}

// Test accounts of the Servicekonto test provider. All people and data are fictitious.
// `sub` is stable: the portal may store it as the citizen's identifier.
// `clients`: the clients an account may log in to. Citizens use the Bürgerportal
// (`buergerportal`), the staff of the municipalities and of the operator the editors'
// area and the operator console (`redaktion`). Their roles are not here: the portal
// grants them (`buergerportal editor-grant` / `operator-grant`).

export const CITIZEN_CLIENT = 'buergerportal';
export const EDITOR_CLIENT = 'redaktion';

export const USERS = [
  {
    username: 'erika',
    clients: [CITIZEN_CLIENT],
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
    clients: [CITIZEN_CLIENT],
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
  // Editors and operators (client `redaktion`). The roles named here are what the demo
  // (scripts/demo.sh) and the e2e tests grant; the accounts themselves have none.
  {
    username: 'anna',
    password: 'anna-passwort',
    clients: [EDITOR_CLIENT],
    sub: 'e1a7c0de-0a11-4b2c-8d3e-5f6a7b8c9d01',
    role: 'Verwaltung (admin) in Kiel',
    claims: {
      name: 'Anna Albers',
      given_name: 'Anna',
      family_name: 'Albers',
      email: 'anna.albers@kiel.example',
      email_verified: true,
    },
  },
  {
    username: 'ben',
    password: 'ben-passwort',
    clients: [EDITOR_CLIENT],
    sub: 'e1a7c0de-0b22-4c3d-9e4f-6a7b8c9d0e02',
    role: 'Redaktion (editor) in Kiel',
    claims: {
      name: 'Ben Brandt',
      given_name: 'Ben',
      family_name: 'Brandt',
      email: 'ben.brandt@kiel.example',
      email_verified: true,
    },
  },
  {
    username: 'olga',
    password: 'olga-passwort',
    clients: [EDITOR_CLIENT],
    sub: 'e1a7c0de-0c33-4d4e-af50-7b8c9d0e1f03',
    role: 'Betrieb (operator)',
    claims: {
      name: 'Olga Oltmanns',
      given_name: 'Olga',
      family_name: 'Oltmanns',
      email: 'olga.oltmanns@betrieb.example',
      email_verified: true,
    },
  },
  {
    username: 'frieda',
    password: 'frieda-passwort',
    clients: [EDITOR_CLIENT],
    sub: 'e1a7c0de-0d44-4e5f-b061-8c9d0e1f2a04',
    role: 'keine (wird eingeladen)',
    claims: {
      name: 'Frieda Friedrichsen',
      given_name: 'Frieda',
      family_name: 'Friedrichsen',
      email: 'frieda.friedrichsen@flensburg.example',
      email_verified: true,
    },
  },
];

/** The accounts that may log in to `clientId`. */
export function usersFor(clientId) {
  return USERS.filter((u) => mayUse(u, clientId));
}

/** Whether the account may log in to `clientId`. */
export function mayUse(user, clientId) {
  return (user.clients ?? [CITIZEN_CLIENT]).includes(clientId);
}

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

-- One database per service (CONVENTIONS.md): run once by the postgres image on an empty volume.
CREATE DATABASE trustline_auth;
CREATE DATABASE trustline_accounts;
CREATE DATABASE trustline_loans;
CREATE DATABASE trustline_cards;
-- trustline-generator: databases

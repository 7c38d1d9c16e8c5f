-- The application's own login and database, beside Temporal's.
--
-- Mounted into postgres' /docker-entrypoint-initdb.d/, so it runs once, on an empty data
-- directory, as the superuser `temporal` (POSTGRES_USER), with ON_ERROR_STOP: any error here
-- aborts the first start instead of leaving a half-made cluster. Temporal's own databases
-- (`temporal`, `temporal_visibility`) are created by temporalio/auto-setup, owned by `temporal`.
--
-- The password comes from the container's APP_DB_PASSWORD (set from POSTGRES_PASSWORD in
-- docker-compose.yml) through psql's \getenv (psql 15+) and is quoted as a literal by :'...'.

\getenv app_password APP_DB_PASSWORD
\if :{?app_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'APP_DB_PASSWORD is not set: cannot create the app role'; END $$;
\endif

-- Not a superuser, cannot create databases or roles: it owns `approvals` and nothing else.
CREATE ROLE app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'app_password';
CREATE DATABASE approvals OWNER app;
-- Only its owner (and superusers) may connect to the app's database.
REVOKE ALL ON DATABASE approvals FROM PUBLIC;

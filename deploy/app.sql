-- The application's own database and user, beside Temporal's (created by auto-setup).
CREATE USER app WITH PASSWORD :'app_password';
CREATE DATABASE approvals OWNER app;

"""The API's services: what a route and a web page (issue 23) both do, with no HTTP in it.

A route module under api/routes/ keeps its path, parameters, dependencies, docstring and response
model, and calls one function here; a page calls the same function, so no check is written twice.
A service reads and writes through the session it is given, asks `api.visibility` (the one place of
record-level authorization) who may read what, starts and updates workflows through api/starts.py
and api/gateway.py, and raises the errors of api/errors.py. It never imports a route (the
import-linter contract `services-below-routes` in pyproject.toml)."""

# PostgreSQL 16 with pgvector, set up as the app expects: the app's database and its vector
# database, both with the `vector` extension. docker-compose.yaml builds it for `postgres` and
# `postgres-test`; the scripts in /docker-entrypoint-initdb.d run once, on an empty data folder.

FROM pgvector/pgvector:0.8.0-pg16

ENV POSTGRES_DB=heavy_stack
COPY dockerfiles/vector_pg/create_databases.sql /docker-entrypoint-initdb.d/10_create_databases.sql

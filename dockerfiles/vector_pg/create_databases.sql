-- Runs once, when the server starts on an empty data folder, in the POSTGRES_DB database.
-- The app's two databases (HEAVY_STACK_SQL_DB_URL and HEAVY_STACK_VECTOR_DB_URL), each with pgvector.
CREATE EXTENSION IF NOT EXISTS vector;
CREATE DATABASE heavy_stack_vector;
\connect heavy_stack_vector
CREATE EXTENSION IF NOT EXISTS vector;

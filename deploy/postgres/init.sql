-- Runs once, when the compose PostgreSQL volume is created: Airflow's own
-- metadata database beside the platform's (aoe).
CREATE DATABASE airflow;

-- The console's tenant-reader role: SELECT on the tenant tables and nothing else. It is not the
-- owner and has no BYPASSRLS, so forced row-level security applies to every row it reads: the
-- console sets app.current_org_id / app.current_role / app.current_user_id with SET LOCAL inside a
-- read-only transaction for the one tenant being read, exactly as the platform does per request.
-- LOGIN and its password are set by whoever provisions the cluster.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'shardscope_tenant_reader') THEN
        CREATE ROLE shardscope_tenant_reader NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
END
$$;
GRANT SELECT ON organizations, patients, appointments, audit_log, patient_persons
    TO shardscope_tenant_reader;
-- The RLS helper functions are executable by PUBLIC already (SQL functions default); say so.
GRANT EXECUTE ON FUNCTION app_current_org(), app_is_superadmin() TO shardscope_tenant_reader;

-- Routing truth needs the ids of the organizations present on each shard (ids only: no names,
-- no rows). Like console_shard_counts, a SECURITY DEFINER function run by its owner.
CREATE FUNCTION console_org_ids() RETURNS BIGINT[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
$$ SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM organizations $$;
REVOKE ALL ON FUNCTION console_org_ids() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION console_org_ids() TO shardscope_monitor;

//! Reading one shard's catalog: its tenant tables' RLS state and policies, the console roles'
//! privileges, the RLS helper functions and the SECURITY DEFINER functions' owners.

use std::collections::BTreeMap;

use sqlx::PgPool;

use super::{Grant, ShardCatalog, TableState};

#[derive(sqlx::FromRow)]
struct TableRow {
    table_name: String,
    rls_enabled: bool,
    rls_forced: bool,
}

#[derive(sqlx::FromRow)]
struct PolicyRow {
    table_name: String,
    line: String,
}

pub(super) async fn read_catalog(
    pool: &PgPool,
    roles: &[String],
) -> std::result::Result<ShardCatalog, sqlx::Error> {
    let tables: Vec<TableRow> = sqlx::query_as(
        "SELECT c.relname::text AS table_name, c.relrowsecurity AS rls_enabled,
                c.relforcerowsecurity AS rls_forced
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
            AND (c.relname IN ('patient_persons', 'organizations') OR EXISTS (
                 SELECT 1 FROM pg_attribute a
                  WHERE a.attrelid = c.oid AND a.attname = 'organization_id' AND NOT a.attisdropped))
          ORDER BY 1",
    )
    .fetch_all(pool)
    .await?;
    let policies: Vec<PolicyRow> = sqlx::query_as(
        "SELECT tablename::text AS table_name,
                policyname || ': ' || permissive || ' FOR ' || cmd || ' TO ' ||
                array_to_string(roles, ',') || coalesce(' USING (' || qual || ')', '') ||
                coalesce(' WITH CHECK (' || with_check || ')', '') AS line
           FROM pg_policies WHERE schemaname = 'public' ORDER BY tablename, policyname",
    )
    .fetch_all(pool)
    .await?;
    // PUBLIC (grantee 0) counts: what PUBLIC may do, every console role may do.
    let grants: Vec<Grant> = sqlx::query_as(
        "WITH r AS (SELECT oid, rolname::text AS role FROM pg_roles WHERE rolname = ANY($1)
                    UNION ALL SELECT 0::oid, 'PUBLIC')
         SELECT r.role, 'attribute' AS kind, '' AS object, a.attr AS privilege
           FROM r JOIN pg_roles p ON p.oid = r.oid
          CROSS JOIN LATERAL (VALUES ('SUPERUSER', p.rolsuper), ('BYPASSRLS', p.rolbypassrls),
                ('CREATEROLE', p.rolcreaterole), ('CREATEDB', p.rolcreatedb),
                ('REPLICATION', p.rolreplication)) AS a(attr, has)
          WHERE a.has
         UNION ALL
         SELECT r.role, 'member of', g.rolname::text, 'MEMBER'
           FROM r JOIN pg_auth_members m ON m.member = r.oid JOIN pg_roles g ON g.oid = m.roleid
         UNION ALL
         SELECT r.role, 'table', c.relname::text, a.privilege_type
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          CROSS JOIN LATERAL aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
           JOIN r ON r.oid = a.grantee
          WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
            AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
            -- What an extension grants PUBLIC (pg_stat_statements' views) is the extension's.
            AND (a.grantee <> 0 OR NOT EXISTS (
                 SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                    AND d.objid = c.oid AND d.deptype = 'e'))
         UNION ALL
         SELECT r.role, 'column', c.relname || '.' || a.attname, x.privilege_type
           FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
          CROSS JOIN LATERAL aclexplode(a.attacl) x
           JOIN r ON r.oid = x.grantee
          WHERE a.attacl IS NOT NULL AND n.nspname NOT IN ('pg_catalog', 'information_schema')
         UNION ALL
         SELECT r.role, 'function', p.proname || '()', 'EXECUTE'
           FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
          CROSS JOIN LATERAL aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
           JOIN r ON r.oid = a.grantee
          WHERE n.nspname = 'public' AND p.prosecdef
            AND (a.grantee <> 0 OR NOT EXISTS (
                 SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                    AND d.objid = p.oid AND d.deptype = 'e'))
         UNION ALL
         SELECT r.role, 'owner', c.relname::text, 'OWNER'
           FROM pg_class c JOIN r ON r.oid = c.relowner
         ORDER BY 1, 2, 3, 4",
    )
    .bind(roles)
    .fetch_all(pool)
    .await?;
    let roles_present: Vec<String> =
        sqlx::query_scalar("SELECT rolname::text FROM pg_roles WHERE rolname = ANY($1) ORDER BY 1")
            .bind(roles)
            .fetch_all(pool)
            .await?;
    let helpers: Vec<String> = sqlx::query_scalar(
        "SELECT p.proname || '(): ' || md5(pg_get_functiondef(p.oid))
           FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
          WHERE n.nspname = 'public' AND p.proname IN ('app_current_org', 'app_is_superadmin')
          ORDER BY 1",
    )
    .fetch_all(pool)
    .await?;
    let weak_definers: Vec<String> = sqlx::query_scalar(
        "SELECT p.proname || '()' FROM pg_proc p
           JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_roles o ON o.oid = p.proowner
          WHERE n.nspname = 'public' AND p.prosecdef
            AND p.proname IN ('console_shard_counts', 'console_org_ids')
            AND NOT (o.rolsuper OR o.rolbypassrls)
          ORDER BY 1",
    )
    .fetch_all(pool)
    .await?;
    let mut by_table: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in policies {
        by_table.entry(p.table_name).or_default().push(p.line);
    }
    Ok(ShardCatalog {
        tables: tables
            .into_iter()
            .map(|t| TableState {
                policies: by_table.remove(&t.table_name).unwrap_or_default(),
                table: t.table_name,
                rls_enabled: t.rls_enabled,
                rls_forced: t.rls_forced,
            })
            .collect(),
        grants,
        roles_present,
        helpers,
        weak_definers,
    })
}

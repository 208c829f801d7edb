//! A throwaway PostgreSQL database per test, on the machine's server (trust auth).

/// The PostgreSQL server of the machine (trust auth), overridable with `TRAMA_TEST_PG_URL`.
pub fn pg_admin_url() -> String {
    std::env::var("TRAMA_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// A new, empty PostgreSQL database for one test; dropped when the value is dropped.
pub struct PgDatabase {
    pub url: String,
    name: String,
}

impl PgDatabase {
    pub async fn create() -> Self {
        use sea_orm::ConnectionTrait;
        let admin = sea_orm::Database::connect(pg_admin_url())
            .await
            .expect("connect to PostgreSQL");
        let name = format!("trama_e2e_{:016x}", rand::random::<u64>());
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create database");
        admin.close().await.ok();
        let base = pg_admin_url();
        let prefix = &base[..base.rfind('/').expect("the URL names a database")];
        Self {
            url: format!("{prefix}/{name}"),
            name,
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        // Best effort, from a plain thread: Drop cannot await.
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(runtime) = runtime {
                runtime.block_on(async {
                    use sea_orm::ConnectionTrait;
                    if let Ok(admin) = sea_orm::Database::connect(pg_admin_url()).await {
                        let _ = admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            ))
                            .await;
                    }
                });
            }
        })
        .join();
    }
}

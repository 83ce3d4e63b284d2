//! What an instance does besides answering requests: it notices changes made
//! elsewhere (other instances, the command line) and tidies up.

use super::AppState;
use crate::auth::session_store::SESSIONS_CHANNEL;
use crate::auth::DbSessionStore;
use std::time::Duration;
use tokio::sync::mpsc;

/// Table names of changes announced by PostgreSQL (`buergerportal_changes`).
pub type Wake = mpsc::Receiver<String>;

/// On PostgreSQL, listens for announced changes so that every instance reloads
/// at once; the poll in `refresh_loop` stays as the fallback (and is all there
/// is on SQLite, which has a single instance). Ended sessions leave this
/// instance's session cache at once; while the connection is down the cache
/// is off, and after a reconnect it starts empty (notifications may be lost).
pub fn listen_for_changes(state: &AppState, database_url: &str) -> Wake {
    let (tx, rx) = mpsc::channel(64);
    if state.store().backend() != crate::store::Backend::Postgres {
        return rx;
    }
    let url = database_url.to_string();
    let state = state.clone();
    tokio::spawn(async move {
        let Some(mut listener) = subscribe(&url).await else {
            return;
        };
        state.session_cache().set_live(true);
        loop {
            match listener.try_recv().await {
                Ok(Some(n)) if n.channel() == SESSIONS_CHANNEL => {
                    if let Ok(id) = n.payload().parse() {
                        state.session_cache().forget(&id);
                    }
                }
                // A full queue already holds a wake-up; the poll covers the rest.
                Ok(Some(n)) => drop(tx.try_send(n.payload().to_string())),
                // Reconnected: what was sent meanwhile is lost.
                Ok(None) => state.session_cache().forget_all(),
                Err(e) => {
                    tracing::warn!("LISTEN unterbrochen: {e}");
                    state.session_cache().set_live(false);
                    reconnect(&mut listener).await;
                    state.session_cache().set_live(true);
                }
            }
        }
    });
    rx
}

async fn subscribe(url: &str) -> Option<sqlx::postgres::PgListener> {
    let listened = async {
        let mut listener = sqlx::postgres::PgListener::connect(url).await?;
        listener
            .listen_all(["buergerportal_changes", SESSIONS_CHANNEL])
            .await?;
        Ok::<_, sqlx::Error>(listener)
    };
    match listened.await {
        Ok(l) => Some(l),
        Err(e) => {
            tracing::warn!("Änderungen werden nur abgefragt, Sitzungen nicht zwischengespeichert (LISTEN nicht möglich): {e}");
            None
        }
    }
}

/// Waits until the listener's connection (and its LISTENs) is back.
async fn reconnect(listener: &mut sqlx::postgres::PgListener) {
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        if sqlx::query("SELECT 1")
            .execute(&mut *listener)
            .await
            .is_ok()
        {
            return;
        }
    }
}

/// Reloads what changed (every 250 ms, and at once when woken), reloads the
/// signing keys every minute or when they changed, and tidies up.
pub async fn refresh_loop(state: AppState, mut wake: Option<Wake>) {
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let mut ticks: u64 = 0;
    loop {
        let woken = async {
            match wake.as_mut() {
                Some(w) => w.recv().await,
                None => std::future::pending().await,
            }
        };
        let (minute, ten_minutes, keys_changed) = tokio::select! {
            _ = tick.tick() => {
                ticks += 1;
                (ticks.is_multiple_of(240), ticks % 2400 == 1, false)
            }
            Some(table) = woken => (false, false, table == "signing_keys"),
        };
        if minute || keys_changed {
            if let Err(e) = state.reload_keys().await {
                tracing::warn!("Signaturschlüssel laden: {e}");
            }
        }
        if minute {
            state.rate_limits().forget_idle_clients();
        }
        if ten_minutes {
            if let Err(e) = DbSessionStore(state.store().clone()).delete_expired().await {
                tracing::warn!("Sitzungen aufräumen: {e}");
            }
        }
        if let Err(e) = state.refresh().await {
            tracing::warn!("Aktualisierung fehlgeschlagen: {e}");
        }
    }
}

/// Checks every link every `hours` hours (measured from the last check
/// recorded by any instance, so instances do not repeat each other's work).
pub async fn link_check_loop(state: AppState, hours: u64, internal: bool) {
    use crate::operator::links;
    let every = (hours.max(1) * 3600) as i64;
    loop {
        let last = links::last_run(state.store()).await.ok().flatten();
        let now = crate::clock::now_unix();
        let due = last.map_or(0, |at| (at + every - now).max(0));
        if due > 0 {
            tokio::time::sleep(Duration::from_secs(due as u64)).await;
            continue;
        }
        let urls = links::all_urls(&state.catalogue(), &state.tenants());
        let limits = links::Limits {
            internal,
            ..Default::default()
        };
        let results = links::check(&urls, limits, |_| {}).await;
        match links::record(state.store(), &results, crate::clock::now_unix()).await {
            Ok(()) => tracing::info!(links = results.len(), "Links geprüft"),
            Err(e) => {
                tracing::warn!("Linkprüfung speichern: {e}");
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
        }
    }
}

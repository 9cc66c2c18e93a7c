//! Regression test for the hang once seen in `sign_in.rs`: a router being built (route-list
//! generation sets a process-global "suppress resource loads" flag in leptos_server) while another
//! request's page polls its resource for the first time left that render waiting forever. Routers
//! are now built from a route list generated once per process (`startup::route_list`), so building
//! any number of them while pages render never stalls a render.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use common::TestApp;
use http::StatusCode;
use shardscope::auth::Role;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn building_routers_while_pages_render_never_stalls_a_render() {
    let app = TestApp::new();
    let admin = app.session_as(Role::Superadmin).await;
    let stop = Arc::new(AtomicBool::new(false));
    // Stops the builder however this test ends (a failed render must not leave it spinning:
    // the runtime would wait for it forever).
    struct StopOnDrop(Arc<AtomicBool>);
    impl Drop for StopOnDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let _stop_guard = StopOnDrop(stop.clone());
    let built = Arc::new(AtomicU32::new(0));
    let builder = {
        let (stop, built) = (stop.clone(), built.clone());
        tokio::task::spawn_blocking(move || {
            while !stop.load(Ordering::SeqCst) {
                drop(TestApp::new());
                built.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    for i in 0..40 {
        let path = format!("/audit?action=sign_in&i={i}");
        let render = app.get(&path, Some(&admin));
        let r = tokio::time::timeout(Duration::from_secs(15), render)
            .await
            .unwrap_or_else(|_| panic!("render {i} stalled while routers were being built"));
        assert_eq!(r.status, StatusCode::OK);
        assert!(
            r.body.contains("record(s), newest first"),
            "render {i} completed"
        );
    }
    stop.store(true, Ordering::SeqCst);
    builder.await.unwrap();
    assert!(
        built.load(Ordering::SeqCst) >= 5,
        "routers were really being built meanwhile ({})",
        built.load(Ordering::SeqCst)
    );
}

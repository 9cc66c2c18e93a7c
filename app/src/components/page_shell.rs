//! The one shape of a page: its header (title from the route table, a lead line), then its data
//! as it arrives: a loading line, the body, or the error in words the reader can act on (after
//! the page's filters when `on_error` puts them there, so a bad value can be corrected).

use leptos::prelude::*;

use super::{ErrorState, PageHeader};
use crate::api::ApiError;
use crate::routes::PageRoute;

#[component]
pub fn PageShell<T, B, V>(
    route: PageRoute,
    /// The page's class (`page {class}` on its section), for its styles.
    class: &'static str,
    /// One line under the heading saying what the page shows.
    lead: &'static str,
    /// What the page says while its data is read ("Checking every shard…").
    loading: &'static str,
    data: Resource<Result<T, ApiError>>,
    /// The page's content once its data is here.
    body: B,
    /// What the page shows instead when its data could not be read (default: the message).
    #[prop(optional, into)]
    on_error: Option<Callback<ApiError, AnyView>>,
) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    B: Fn(T) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let on_error = on_error.unwrap_or_else(|| {
        Callback::new(|e: ApiError| view! { <ErrorState message=e.message/> }.into_any())
    });
    view! {
        <section class=format!("page {class}")>
            <PageHeader title=route.title lead=lead/>
            <Suspense fallback=move || view! { <p class="loading">{loading}</p> }>
                {move || {
                    let body = body.clone();
                    Suspend::new(async move {
                        match data.await {
                            Ok(d) => body(d).into_any(),
                            Err(e) => on_error.run(e),
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

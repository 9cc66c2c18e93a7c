//! The one shape of a page: its header (title from the route table, a lead line), what comes
//! before the data (a filter form), then its data as it arrives: a loading line, the body, or the
//! error in words the reader can act on (after the page's filters when `on_error` puts them there,
//! so a bad value can be corrected). A page about one thing (a tenant) takes its heading from its
//! data; while loading and on error it shows the route's own title.

use leptos::prelude::*;

use super::{ErrorState, PageHeader};
use crate::api::ApiError;
use crate::routes::PageRoute;

/// A heading taken from the page's data: the `<h1>` (and document title) and the lead line.
#[derive(Clone, Debug, PartialEq)]
pub struct Heading {
    pub title: String,
    pub lead: String,
}

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
    /// Shown under the header before the data arrives and whatever it says (the page's filters).
    #[prop(optional, into)]
    above: Option<ViewFn>,
    /// The heading from the data (a page about one thing), instead of the route's title.
    #[prop(optional, into)]
    heading: Option<Callback<T, Heading>>,
    /// The page's actions, on the right of its header (a Refresh link).
    #[prop(optional, into)]
    actions: Option<ViewFn>,
) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    B: Fn(T) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let on_error = on_error.unwrap_or_else(|| {
        Callback::new(|e: ApiError| view! { <ErrorState message=e.message /> }.into_any())
    });
    let fixed_header = heading.is_none();
    view! {
        <section class=format!(
            "page {class}",
        )>
            {fixed_header
                .then(|| match actions {
                    Some(a) => {
                        view! {
                            <PageHeader title=route.title lead=lead>
                                {a.run()}
                            </PageHeader>
                        }
                            .into_any()
                    }
                    None => view! { <PageHeader title=route.title lead=lead /> }.into_any(),
                })} {above.map(|a| a.run())}
            <Suspense fallback=move || {
                view! { <p class="loading">{loading}</p> }
            }>
                {move || {
                    let body = body.clone();
                    Suspend::new(async move {
                        match (data.await, heading) {
                            (Ok(d), None) => body(d).into_any(),
                            (Ok(d), Some(h)) => {
                                let Heading { title, lead } = h.run(d.clone());
                                view! {
                                    <PageHeader title lead />
                                    {body(d)}
                                }
                                    .into_any()
                            }
                            (Err(e), None) => on_error.run(e),
                            (Err(e), Some(_)) => {
                                view! {
                                    <PageHeader title=route.title lead=lead />
                                    {on_error.run(e)}
                                }
                                    .into_any()
                            }
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

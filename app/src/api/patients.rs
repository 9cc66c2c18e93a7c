//! Server functions of the patient lookup, and the one adapter the page's POST uses too: role
//! check, one backend call, a DTO. What is looked up travels in request bodies only; bad input
//! answers 400 with what to type, the lookup limit 429, an unwritable audit 503.

use leptos::prelude::*;

use super::ApiError;

#[cfg(feature = "ssr")]
use crate::dto::PatientsForm;
use crate::dto::PatientsPageDto;
use shardscope::patients::LookupResult;

/// The empty page: the form's choices and whether this role may open full profiles.
#[server(prefix = "/api", endpoint = "patients-page")]
pub async fn get_patients_page() -> Result<PatientsPageDto, ApiError> {
    page(None).await
}

/// Look a patient up by phone, email (`kind` = auto) or platform user id (`kind` = user): names
/// and linked orgs. Audited (`lookup_patient`).
#[server(prefix = "/api", endpoint = "patient-lookup")]
pub async fn lookup_patient(
    q: String,
    #[server(default)] kind: String,
    #[server(default)] region: String,
) -> Result<LookupResult, ApiError> {
    perform(PatientsForm {
        op: "lookup".into(),
        q,
        kind,
        region,
        ..Default::default()
    })
    .await
}

/// A superadmin opens one person's full profile with a reason. Audited (`open_patient_profile`).
#[server(prefix = "/api", endpoint = "patient-profile")]
pub async fn open_patient_profile(
    person: String,
    reason: String,
) -> Result<LookupResult, ApiError> {
    perform(PatientsForm {
        op: "open".into(),
        person,
        reason,
        ..Default::default()
    })
    .await
}

/// The page with the answer to `posted` (the form the page's POST carried), if any. A failed
/// lookup is part of the page (its message next to the form) with the response's status set.
#[cfg(feature = "ssr")]
pub async fn page(posted: Option<PatientsForm>) -> Result<PatientsPageDto, ApiError> {
    use shardscope::auth::Capability;
    let staff = super::guard::require(Capability::LookupPatients)?;
    let console = super::console()?;
    let result = match posted.clone() {
        None => None,
        Some(form) => Some(perform(form).await.map_err(|e| e.message)),
    };
    Ok(PatientsPageDto {
        default_region: console.config().patients.default_region.clone(),
        regions: shardscope::patients::identifier::OFFERED_REGIONS
            .iter()
            .map(|r| r.to_string())
            .collect(),
        can_open: staff.role.allows(Capability::OpenPatientProfile),
        // The break-glass reason is not echoed: it is typed once per opening.
        form: posted
            .map(|f| PatientsForm {
                reason: String::new(),
                ..f
            })
            .unwrap_or_default(),
        result,
    })
}

#[cfg(feature = "ssr")]
async fn perform(form: PatientsForm) -> Result<LookupResult, ApiError> {
    use shardscope::auth::Capability;
    use shardscope::patients::{Identifier, Kind};

    let console = super::console()?;
    // Over the lookup limit: say when to try again in the header too (429 + Retry-After).
    let backend_error = |e: shardscope::Error| {
        if e.status() == 429
            && let Some(res) = use_context::<leptos_axum::ResponseOptions>()
        {
            let window = console.config().patients.lookup_window.as_secs();
            if let Ok(v) = http::HeaderValue::from_str(&window.to_string()) {
                res.insert_header(http::header::RETRY_AFTER, v);
            }
        }
        ApiError::from(e)
    };
    let addr = super::guard::client_addr();
    match form.op.as_str() {
        "" | "lookup" => {
            let staff = super::guard::require(Capability::LookupPatients)?;
            let region = Some(form.region.trim())
                .filter(|r| !r.is_empty())
                .unwrap_or(&console.config().patients.default_region)
                .to_string();
            let kind = Kind::parse(Some(&form.kind)).map_err(backend_error)?;
            let identifier = Identifier::parse(&form.q, kind, &region).map_err(backend_error)?;
            shardscope::patients::lookup(&console, &staff, &addr, &identifier)
                .await
                .map_err(backend_error)
        }
        "open" => {
            let staff = super::guard::require(Capability::OpenPatientProfile)?;
            let person = form
                .person
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "choose a person from a lookup's results (their person id is a whole number)",
                    )
                })?;
            shardscope::patients::open_profile(&console, &staff, &addr, person, &form.reason)
                .await
                .map_err(backend_error)
        }
        _ => Err(ApiError::bad_request(
            "unknown action: use the lookup form or a result's \"Open full profile\"",
        )),
    }
}

//! `/api/heatmap...`: the day-by-day load (check-ins and check-outs) from the
//! company's PMS or from spreadsheets, and its settings: the thresholds and
//! the spreadsheet's date columns, both under `configuracion.heatmap`
//! (original-api.md 8).

pub mod generate;
pub mod settings;

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::heatmap::{DateRange, Grid, RangeError, Thresholds};
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::store::SyncLog;

/// The key of `empresas.configuracion` this area owns.
pub const SETTINGS_KEY: &str = "heatmap";

/// One day of the grid.
#[derive(Serialize, ToSchema)]
pub struct Day {
    #[serde(rename = "checkins")]
    pub check_ins: u32,
    #[serde(rename = "checkouts")]
    pub check_outs: u32,
    #[serde(rename = "fecha")]
    pub date: NaiveDate,
    /// Outside `[desde, hasta]`: the padding to whole Monday-Sunday weeks.
    #[serde(rename = "mesAdyacente")]
    pub adjacent: bool,
    /// How many of the company's thresholds the day's check-ins plus
    /// check-outs exceed (`> nivel1` is 1, `> nivel2` 2, `> nivel3` 3).
    #[serde(rename = "nivel")]
    #[schema(minimum = 0, maximum = 3)]
    pub level: u8,
}

#[derive(Serialize, ToSchema)]
pub struct HeatmapBody {
    /// Whole weeks, Monday first, in date order.
    #[serde(rename = "dias")]
    pub days: Vec<Day>,
    pub ok: bool,
    /// Spreadsheets only: one per file with dropped rows.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// The company's `configuracion.heatmap` object (`Null` when unset).
pub async fn heatmap_settings(state: &AppState, company_id: Uuid) -> Result<Value, AppError> {
    Ok(state
        .store
        .company_setting(company_id, SETTINGS_KEY)
        .await?
        .unwrap_or(Value::Null))
}

pub fn range_error(err: RangeError) -> AppError {
    AppError::unprocessable(vec![err.to_string()])
}

/// Logs the generation (`origen` `heatmap_pms` or `xlsx`) and answers the grid.
async fn answer(
    state: &AppState,
    company_id: Uuid,
    origin: &'static str,
    settings: &Value,
    range: DateRange,
    grid: Grid,
    warnings: Vec<String>,
) -> Result<HeatmapBody, AppError> {
    let thresholds = Thresholds::from_setting(settings.get("umbrales"));
    state
        .store
        .log_sync(
            company_id,
            SyncLog {
                origin,
                status: "exito",
                records: Some(i32::try_from(grid.busy_days()).unwrap_or(i32::MAX)),
                detail: Some(format!("Rango: {} — {}", range.from, range.to)),
            },
        )
        .await?;
    let days = grid
        .days(&thresholds)
        .into_iter()
        .map(|day| Day {
            check_ins: day.check_ins,
            check_outs: day.check_outs,
            date: day.date,
            adjacent: day.adjacent,
            level: day.level,
        })
        .collect();
    Ok(HeatmapBody {
        days,
        ok: true,
        warnings,
    })
}

//! `declutter plan`: make a dry-run plan from keep rules (nothing is touched until `apply`),
//! list the plans, or show one, group by group: the copy that stays, the copies that go.

use declutter_core::engine::plan;
use declutter_core::engine::rules::KeepRules;
use declutter_core::store::plans::{self, Action, Plan, PlanItem};

use super::context::Context;
use super::output::{self, Styles, human, paint, safe};

/// Arguments of `plan`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    /// `list` or `show`; without one, a new plan is made.
    #[command(subcommand)]
    pub action: Option<Existing>,
    /// Keep rules, combinable and repeatable: newest, oldest, shortest-path, original-name,
    /// ref:<folder> (keep everything under the folder, remove only copies elsewhere; a relative
    /// folder is read against the current folder, and it must be a scanned folder).
    #[arg(
        long = "keep",
        value_name = "RULE",
        default_value = "original-name,shortest-path"
    )]
    pub keep: Vec<String>,
    /// Groups shown, largest reclaimable first (0: all; `plan show` the rest).
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub top: usize,
    /// Print the plan as JSON (every item).
    #[arg(long)]
    pub json: bool,
}

/// What to do with existing plans.
#[derive(Debug, clap::Subcommand)]
pub enum Existing {
    /// List the plans, newest first.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show a plan group by group: what stays and what goes.
    Show {
        /// Plan id, or `latest`.
        #[arg(default_value = "latest")]
        plan: String,
        /// Groups shown (0: all).
        #[arg(long, value_name = "N", default_value_t = 0)]
        top: usize,
        /// Print JSON (the plan and every item).
        #[arg(long)]
        json: bool,
    },
}

/// Runs `plan`.
pub fn run(mut ctx: Context, args: Args) -> anyhow::Result<()> {
    match args.action {
        Some(Existing::List { json }) => return list(&ctx, json),
        Some(Existing::Show { plan, top, json }) => return show(&ctx, &plan, top, json),
        None => {}
    }
    // Relative keep folders are read against the current folder, as any path on a command line.
    let cwd = std::env::current_dir()?;
    let rules = plan::resolve_rules(
        &ctx.conn,
        &ctx.user,
        KeepRules::parse(&args.keep)?,
        plan::Base::Dir(&cwd),
    )?;
    let summary = plan::build(&mut ctx.conn, &ctx.user, &rules)?;
    if args.json {
        return output::json(&summary);
    }
    let st = Styles::stdout();
    let mut out = groups(&summary.items, args.top, st);
    out.push_str(&paint(
        st.strong,
        &format!(
            "plan {}: {} groups, {} files to remove, {} reclaimed (dry run; `declutter plan show {}` \
             lists it all, `declutter apply {}` moves them to the trash)\n",
            summary.plan_id,
            summary.groups,
            summary.remove_count,
            human(summary.bytes_reclaimed),
            summary.plan_id,
            summary.plan_id
        ),
    ));
    output::print(&out)
}

/// The plan `which` (`latest` or an id) of the owner.
fn find(ctx: &Context, which: &str) -> anyhow::Result<Plan> {
    let found = if which == "latest" {
        plans::latest(&ctx.conn, &ctx.user)?
    } else {
        let id: i64 = which
            .parse()
            .map_err(|_| anyhow::anyhow!("plan {which:?}: give a plan number or `latest`"))?;
        plans::get(&ctx.conn, &ctx.user, id)?
    };
    let id = which.parse().unwrap_or(0);
    found.ok_or_else(|| declutter_core::engine::EngineError::PlanNotFound(id).into())
}

fn list(ctx: &Context, json: bool) -> anyhow::Result<()> {
    let all = plans::list(&ctx.conn, &ctx.user)?;
    if json {
        return output::json(&all);
    }
    let st = Styles::stdout();
    let mut out = String::new();
    for p in &all {
        out.push_str(&format!(
            "{}  {:<8} {:>6} to remove {:>10}  {}  {}\n",
            paint(st.strong, &format!("plan {:>4}", p.id)),
            p.status,
            p.remove_count,
            human(p.bytes_reclaimed),
            paint(st.dim, &date(p.created_at)),
            safe(&p.rules)
        ));
    }
    if all.is_empty() {
        out.push_str("no plans yet: `declutter plan` makes one\n");
    }
    output::print(&out)
}

fn show(ctx: &Context, which: &str, top: usize, json: bool) -> anyhow::Result<()> {
    let p = find(ctx, which)?;
    let items = plans::items(&ctx.conn, p.id)?;
    if json {
        return output::json(&serde_json::json!({ "plan": p, "items": items }));
    }
    let st = Styles::stdout();
    let mut out = paint(
        st.strong,
        &format!(
            "plan {} ({}, {}): {} files to remove, {} reclaimed; rules {}\n",
            p.id,
            p.status,
            date(p.created_at),
            p.remove_count,
            human(p.bytes_reclaimed),
            safe(&p.rules)
        ),
    );
    out.push_str(&groups(&items, top, st));
    output::print(&out)
}

/// Each group of `items` (largest reclaimable first, `top` of them, 0: all): its kept copies,
/// then its removed ones, with their state once applied.
fn groups(items: &[PlanItem], top: usize, st: Styles) -> String {
    let mut by_group: Vec<Vec<&PlanItem>> = Vec::new();
    for item in items {
        match by_group.last_mut() {
            Some(g) if g[0].group_key == item.group_key => g.push(item),
            _ => by_group.push(vec![item]),
        }
    }
    let freed = |g: &Vec<&PlanItem>| -> u64 {
        g.iter()
            .filter(|i| i.action == Action::Remove)
            .map(|i| i.size)
            .sum()
    };
    by_group.retain(|g| freed(g) > 0);
    by_group.sort_by_key(|g| std::cmp::Reverse(freed(g)));
    let shown = if top == 0 {
        by_group.len()
    } else {
        top.min(by_group.len())
    };
    let mut out = String::new();
    for g in &by_group[..shown] {
        out.push_str(&paint(
            st.strong,
            &format!(
                "{:>10} freed  {} copies x {}\n",
                human(freed(g)),
                g.len(),
                human(g[0].size)
            ),
        ));
        for keep in [true, false] {
            for i in g.iter().filter(|i| (i.action == Action::Keep) == keep) {
                let (label, style) = if keep {
                    ("keep  ", st.keep)
                } else {
                    ("remove", st.remove)
                };
                let state = match (i.state.as_str(), &i.reason) {
                    ("pending", _) => String::new(),
                    (s, Some(r)) => paint(st.dim, &format!("  [{s}: {}]", safe(r))),
                    (s, None) => paint(st.dim, &format!("  [{s}]")),
                };
                out.push_str(&format!(
                    "    {}  {}{state}\n",
                    paint(style, label),
                    safe(&i.path)
                ));
            }
        }
    }
    if shown < by_group.len() {
        out.push_str(&paint(
            st.dim,
            &format!(
                "... {} more groups (--top 0 shows all)\n",
                by_group.len() - shown
            ),
        ));
    }
    out
}

/// A unix time as a UTC date and time for people.
fn date(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute] UTC"
            ))
            .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}

"""CSV imports of the kpis app on top of `salesplan.csvimport`: activities, balance snapshots and a CRM
pipeline (opportunities, with the teams file that says who sells in whose team), run from the commands or,
in the browser, by a Celery task that reports its progress.

The rules of the engine hold (every row checked through a form, every problem reported with its row, line
and column, nothing saved unless every row is valid, one transaction). On top of them:

- **Idempotent.** Importing the same file again changes nothing: activities are matched by `external_id`
  (rows without one are always new), balances by account + metric + month end, opportunities by
  `opportunity_id`, accounts and products by name, regions by name, teams by region and name, people by
  e-mail. A row found as it is in the database is counted "unchanged" and nothing is written; a changed
  one is updated (an opportunity whose stage changed gets a stage change recorded).
- **Visibility.** Lookups are made among what the importer may change, as on the pages: an owner, account
  or opportunity outside the importer's teams is "unknown" or refused. Only an administrator imports a
  teams file, because it creates people, teams and regions.
- **Speed.** Names are looked up once for the whole file (`prepare`: a query per 200 names not met yet,
  and one for a chunk's external ids); rows are checked by a `RowForm` and new ones go in by COPY while the
  chunk is checked (`salesplan.bulk`), changed ones by one bulk update per chunk: never a query per row.
  100,000 activities import in about 6 s at bank scale (`make bench`).

The CRM layout (Maven Analytics' "CRM Sales Opportunities"): the teams file has
`sales_agent,manager,regional_office`; each regional office becomes a region (matched by name), each
manager a team named "<manager> team" in that region led by the manager, each sales agent a relationship
manager in their manager's team. People are matched or created by an e-mail address made from their name
(`Anna Snelling` → `anna.snelling@crm.import`), with the name as display name and no usable password (an
administrator invites them). The pipeline file has
`opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value`: agents are
named by name (with a teams file: as in it; without: one of the importer's relationship managers of that
display name); an account is matched by legal name or created, owned by the agent of the first row that
names it, without industry; an empty account (open deals in the CRM data) goes to the agent's placeholder
account "Unnamed account (<agent>)"; a product is matched by name or created in the category "Imported"
(the pipeline does not say a product's series; an administrator may recategorise it). A new opportunity
gets its stage history from its dates: engaging on the engage date, then won or lost on the close date
(prospecting, without a date, on the day of the import).
"""

from .base import KpiImportCommand, TrackedImport, crm_email, outcome_text
from .jobs import (
    KINDS,
    ImportForm,
    import_job_create,
    import_job_execute,
    import_jobs_visible_to,
    job_summary,
    live_progress,
)
from .organisation import CrmOrganisation, TeamImport
from .pipeline import PipelineImport, PipelineResult, pipeline_import, pipeline_summary
from .records import ActivityImport, BalanceImport

__all__ = [
    "KINDS",
    "ActivityImport",
    "BalanceImport",
    "CrmOrganisation",
    "ImportForm",
    "KpiImportCommand",
    "PipelineImport",
    "PipelineResult",
    "TeamImport",
    "TrackedImport",
    "crm_email",
    "import_job_create",
    "import_job_execute",
    "import_jobs_visible_to",
    "job_summary",
    "live_progress",
    "outcome_text",
    "pipeline_import",
    "pipeline_summary",
]

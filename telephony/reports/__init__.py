"""Call reports (issue 11, the pages half): the overview, CDR search, a call's page and
exports. Reports read only the rollups (CallRollupDay for whole local days, CallRollup
for the rest; telephony.models.cdr, telephony.reports.queries.plan); search and a call's page
read CallRecord through indexed, keyset-paged queries. Its own Django app (label
"reports") so its one model, the export history, migrates apart from telephony's."""

"""Call reports (issue 11, the pages half): the overview, CDR search, a call's page and
exports. Reports read only CallRollup (telephony.models.cdr); search and a call's page
read CallRecord through indexed, keyset-paged queries. Its own Django app (label
"reports") so its one model, the export history, migrates apart from telephony's."""

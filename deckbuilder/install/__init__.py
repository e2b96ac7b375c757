"""Install: a release applied inside a learner's own collection, by content, not by clocks.

Sits above notes/ and ledger/ (to come with the install command)."""

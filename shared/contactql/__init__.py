"""The contact query language (RapidPro's contactql): one syntax and one meaning for every service
that selects contacts — search, smart groups, broadcasts, flows.

`parse_query` gives a query its meaning for an organisation (`resolve`, with bare values and URNs
read as RapidPro reads them in `bare_values`); the result runs either as a MongoDB filter over
contact documents in the queryable shape (`mongo_filter`) or in memory against one contact
(`evaluate`). A property-based test keeps the two in exact agreement. Each query is printed in
Roster's form and in RapidPro's (`syntax.render_rapidpro`, values quoted as Go quotes them:
`quoting`), and both parse back to the same meaning.
"""

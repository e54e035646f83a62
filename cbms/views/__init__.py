"""The pages of the cbms app, by subject: records (CBMs, names, roles), plans (versions, areas,
activities), dashboard (compliance, my country); inline holds the htmx row handling they share."""

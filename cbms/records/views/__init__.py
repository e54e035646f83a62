"""The pages of the CBM records, by subject: records (CBMs, names, roles), plans (versions,
areas, activities), home (the front page and the records index); inline holds the htmx row
handling they share."""

"""`mailflow demo`: the seed round replayed end to end on one machine, on a fast clock."""

"""Teams, critical functions, delegations, unavailability and single points of failure.

- `/teams/` (by slug; POST/PATCH; `/teams/{slug}/members/` POST, `…/members/{username}/`
  DELETE), `/critical-functions/` (by slug; POST/PATCH).
- `/delegations/` (filter by `function` and `team` slug, or `organisation=true`; POST, PATCH,
  DELETE), `/delegations/holder/?function=&team=&at=` who holds a function and why,
  `/delegations/reorder/` POST.
- `/unavailability/`: anyone may add or remove their own windows.
- `/spof/`: the function × scope pairs with fewer than two available delegates now or within
  the next 14 days; `?all=true` for the whole coverage.

Reads are open to every signed-in user; the services decide who may write.
"""

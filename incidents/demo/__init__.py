"""Demo data for `manage.py seed_demo`, by theme: configuration, people, policy, incidents."""

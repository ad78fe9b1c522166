"""Workspace pages of calls for projects: applicants (`applicant`) and selection (`selection`)."""

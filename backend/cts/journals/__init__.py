"""Paper journals (issue 20): during blackouts coordinators write useful cases on paper; the council imports
the journal, typed into a CSV or XLSX file, sees line by line what will be recorded and what is wrong, and
records the good lines through the relayer. docs/journals.md describes it for a newcomer."""

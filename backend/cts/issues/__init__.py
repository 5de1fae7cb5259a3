"""Community issues (issue 18): residents, NGOs and the council say what the hromada needs, where and for
whom; residents endorse; the council answers, resolves or closes (docs/community-issues.md)."""

"""``budgetlm serve``: one FastAPI app with the budget API, an OpenAI-compatible endpoint and a
web page, over SQLite for one household or PostgreSQL for many."""

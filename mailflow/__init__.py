"""mailflow — a committee's written deliberation (書面審議), run entirely by email."""

__version__ = "0.1.0"

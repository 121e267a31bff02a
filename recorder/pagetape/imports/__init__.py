"""Fixtures pagetape did not write (vcrpy, placebo, older cassettes) read as exchanges for the sanitizer."""

"""Knowledge checks before go-live: question banks, quizzes in DM, result analysis."""

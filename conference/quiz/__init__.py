"""The live quiz: quizzes of questions, people rounds, live runs, players, answers and scores."""

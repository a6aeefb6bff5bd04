"""What the dispatch room does when something happens to an appeal (`appeals.hooks`)."""

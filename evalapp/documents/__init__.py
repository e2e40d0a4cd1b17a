"""Documents: Vietnamese PDF minutes, ballots and notices (WeasyPrint), their digital
signatures (pyHanko) and their verification."""

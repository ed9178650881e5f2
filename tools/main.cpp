// tandem CLI entry point.
int main() { return 0; }

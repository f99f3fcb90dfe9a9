s;

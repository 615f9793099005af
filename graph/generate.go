package graph

//go:generate go run github.com/99designs/gqlgen@v0.17.94 generate

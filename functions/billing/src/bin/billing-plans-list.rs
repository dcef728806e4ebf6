fn main() -> shared::lambda::Result {
    shared::lambda::serve(&billing::plans_list::OP)
}

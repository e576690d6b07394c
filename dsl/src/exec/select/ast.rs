//! The AST of `SELECT`: every node carries its span so binding and type
//! errors point at the offending expression.

use crate::ast::{Ref, Span, Spanned};

/// `SELECT items FROM table(...) [WHERE] [GROUP BY] [HAVING] [ORDER BY] [LIMIT] [OFFSET]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    /// `None` for `*`.
    pub items: Option<Vec<SelectItem>>,
    pub table: TableRef,
    pub filter: Option<Expr>,
    pub group_by: Vec<Expr>,
    pub having: Option<Expr>,
    pub order_by: Vec<OrderKey>,
    pub limit: Option<Spanned<u64>>,
    pub offset: Option<Spanned<u64>>,
}

/// `expr [AS alias]`.
#[derive(Debug, Clone, PartialEq)]
pub struct SelectItem {
    pub expr: Expr,
    pub alias: Option<Spanned<String>>,
}

/// `func(target[, row])`, e.g. `neighbours(g@2)` or `pairs(ds, 3)`.
#[derive(Debug, Clone, PartialEq)]
pub struct TableRef {
    pub func: Spanned<String>,
    pub target: Ref,
    pub row: Option<Spanned<u64>>,
    pub span: Span,
}

/// `expr [ASC|DESC]`.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderKey {
    pub expr: Expr,
    pub desc: bool,
}

/// An expression with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "<>",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Column(String),
    Lit(Lit),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Cmp(CmpOp, Box<Expr>, Box<Expr>),
    IsNull {
        expr: Box<Expr>,
        negated: bool,
    },
    In {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    Like {
        expr: Box<Expr>,
        pattern: Box<Expr>,
        negated: bool,
    },
    /// `f(args)`, `COUNT(*)` (star), `COUNT(DISTINCT x)`.
    Call {
        name: Spanned<String>,
        args: Vec<Expr>,
        star: bool,
        distinct: bool,
    },
}

impl Expr {
    /// The expression as canonical text (names as written, keywords and
    /// function names upper case): output column names and GROUP BY matching.
    pub fn canon(&self) -> String {
        match &self.kind {
            ExprKind::Column(c) => c.clone(),
            ExprKind::Lit(l) => match l {
                Lit::Null => "NULL".into(),
                Lit::Bool(b) => b.to_string(),
                Lit::Int(i) => i.to_string(),
                Lit::Float(f) => f.to_string(),
                Lit::Text(s) => format!("'{}'", s.replace('\'', "''")),
            },
            ExprKind::Not(e) => format!("NOT {}", e.canon()),
            ExprKind::And(a, b) => format!("({} AND {})", a.canon(), b.canon()),
            ExprKind::Or(a, b) => format!("({} OR {})", a.canon(), b.canon()),
            ExprKind::Cmp(op, a, b) => format!("{} {} {}", a.canon(), op.symbol(), b.canon()),
            ExprKind::IsNull { expr, negated } => {
                format!(
                    "{} IS {}NULL",
                    expr.canon(),
                    if *negated { "NOT " } else { "" }
                )
            }
            ExprKind::In {
                expr,
                list,
                negated,
            } => format!(
                "{} {}IN ({})",
                expr.canon(),
                if *negated { "NOT " } else { "" },
                list.iter().map(Expr::canon).collect::<Vec<_>>().join(", ")
            ),
            ExprKind::Like {
                expr,
                pattern,
                negated,
            } => format!(
                "{} {}LIKE {}",
                expr.canon(),
                if *negated { "NOT " } else { "" },
                pattern.canon()
            ),
            ExprKind::Call {
                name,
                args,
                star,
                distinct,
            } => {
                let inner = if *star {
                    "*".to_string()
                } else {
                    args.iter().map(Expr::canon).collect::<Vec<_>>().join(", ")
                };
                let d = if *distinct { "DISTINCT " } else { "" };
                format!("{}({d}{inner})", name.node.to_ascii_uppercase())
            }
        }
    }
}

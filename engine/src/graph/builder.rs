//! Building a [`SignedGraph`] node by node and edge by edge.

use std::collections::HashMap;

use roaring::RoaringBitmap;

use super::{NodeId, Sign, SignedGraph, sign_in};
use crate::{Error, Result};

/// Why an edge was refused by [`GraphBuilder::add_edge`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EdgeRejection {
    SelfLoop,
    SameModality,
    /// The pair already has the other sign.
    Conflict(Sign),
}

/// Builds a [`SignedGraph`] node by node and edge by edge.
#[derive(Debug, Default)]
pub struct GraphBuilder {
    modalities: Vec<String>,
    node_modality: Vec<u16>,
    node_value: Vec<String>,
    /// Per modality: value → node (looked up by `&str`, no allocation).
    index: Vec<HashMap<Box<str>, NodeId>>,
    /// Modality name → index (a linear search made 65,535 modalities quadratic).
    modality_ids: HashMap<String, u16>,
    pos: Vec<RoaringBitmap>,
    neg: Vec<RoaringBitmap>,
}

impl GraphBuilder {
    pub fn new() -> GraphBuilder {
        GraphBuilder::default()
    }

    /// A builder whose nodes are every attribute of the catalogue, in order.
    pub fn from_catalogue(cat: &crate::Catalogue) -> GraphBuilder {
        let mut b = GraphBuilder {
            modalities: cat.modalities().to_vec(),
            index: vec![HashMap::new(); cat.modalities().len()],
            modality_ids: (cat.modalities().iter().enumerate())
                .map(|(i, m)| (m.clone(), i as u16))
                .collect(),
            ..Default::default()
        };
        for a in cat.attributes() {
            b.push_node(a.modality, &a.value);
        }
        b
    }

    fn push_node(&mut self, m: u16, value: &str) -> NodeId {
        if let Some(&id) = self.index[m as usize].get(value) {
            return id;
        }
        let id = self.node_value.len() as NodeId;
        self.node_modality.push(m);
        self.node_value.push(value.to_string());
        self.index[m as usize].insert(value.into(), id);
        self.pos.push(RoaringBitmap::new());
        self.neg.push(RoaringBitmap::new());
        id
    }

    /// Adds a node (idempotent) and returns its id.
    pub fn add_node(&mut self, modality: &str, value: &str) -> NodeId {
        let m = self.add_modality(modality);
        self.push_node(m, value)
    }

    /// The index of a modality, added if new.
    pub(crate) fn add_modality(&mut self, modality: &str) -> u16 {
        if let Some(&i) = self.modality_ids.get(modality) {
            return i;
        }
        self.modalities.push(modality.to_string());
        self.index.push(HashMap::new());
        let i = (self.modalities.len() - 1) as u16;
        self.modality_ids.insert(modality.to_string(), i);
        i
    }

    /// Adds a node of modality `m` (an index from [`Self::modality_id`] or
    /// [`Self::add_modality`]), idempotent.
    pub(crate) fn add_node_in(&mut self, m: u16, value: &str) -> NodeId {
        self.push_node(m, value)
    }

    /// The index of a modality, if the builder has it.
    pub(crate) fn modality_id(&self, modality: &str) -> Option<u16> {
        self.modality_ids.get(modality).copied()
    }

    /// An existing node of modality `m`, looked up without allocating.
    pub(crate) fn find_in(&self, m: u16, value: &str) -> Option<NodeId> {
        self.index.get(m as usize)?.get(value).copied()
    }

    /// Whether the builder already has a modality of this name.
    pub fn has_modality(&self, modality: &str) -> bool {
        self.modality_ids.contains_key(modality)
    }

    /// An existing node's id.
    pub fn find(&self, modality: &str, value: &str) -> Option<NodeId> {
        self.find_in(self.modality_id(modality)?, value)
    }

    pub fn modalities(&self) -> &[String] {
        &self.modalities
    }

    /// The modality index of a node.
    pub(crate) fn modality_of(&self, id: NodeId) -> u16 {
        self.node_modality[id as usize]
    }

    pub fn node_count(&self) -> usize {
        self.node_value.len()
    }

    /// Current sign of a pair.
    pub fn sign(&self, a: NodeId, b: NodeId) -> Option<Sign> {
        sign_in(&self.pos, &self.neg, a, b)
    }

    /// Adds an undirected edge. Re-adding the same sign is a no-op; the other
    /// sign, a self-loop or a same-modality pair is refused.
    pub fn try_add_edge(
        &mut self,
        a: NodeId,
        b: NodeId,
        sign: Sign,
    ) -> std::result::Result<(), EdgeRejection> {
        if a == b {
            return Err(EdgeRejection::SelfLoop);
        }
        if self.node_modality[a as usize] == self.node_modality[b as usize] {
            return Err(EdgeRejection::SameModality);
        }
        if let Some(s) = self.sign(a, b)
            && s != sign
        {
            return Err(EdgeRejection::Conflict(s));
        }
        let bits = match sign {
            Sign::Pos => &mut self.pos,
            Sign::Neg => &mut self.neg,
        };
        bits[a as usize].insert(b);
        bits[b as usize].insert(a);
        Ok(())
    }

    /// [`Self::try_add_edge`] with the rejection as an engine error.
    pub fn add_edge(&mut self, a: NodeId, b: NodeId, sign: Sign) -> Result<()> {
        self.try_add_edge(a, b, sign).map_err(|r| {
            let an = format!(
                "{}:{}",
                self.modalities[self.node_modality[a as usize] as usize],
                self.node_value[a as usize]
            );
            let bn = format!(
                "{}:{}",
                self.modalities[self.node_modality[b as usize] as usize],
                self.node_value[b as usize]
            );
            match r {
                EdgeRejection::SelfLoop => Error::invalid(format!("self-loop on {an}")),
                EdgeRejection::SameModality => Error::invalid(format!(
                    "edge {an} -- {bn} joins two values of the same modality"
                )),
                EdgeRejection::Conflict(s) => {
                    Error::invalid(format!("edge {an} -- {bn} already has sign {}", s.symbol()))
                }
            }
        })
    }

    /// The graph with these nodes and the given per-node adjacency (from
    /// the edge import: one bitmap per node and sign, symmetric, checked),
    /// instead of the edges added one by one.
    pub(crate) fn build_with(
        self,
        pos: Vec<RoaringBitmap>,
        neg: Vec<RoaringBitmap>,
    ) -> SignedGraph {
        debug_assert_eq!(
            (pos.len(), neg.len()),
            (self.node_count(), self.node_count())
        );
        SignedGraph::from_parts(
            self.modalities,
            self.node_modality,
            self.node_value,
            pos,
            neg,
        )
    }

    pub fn build(self) -> SignedGraph {
        SignedGraph::from_parts(
            self.modalities,
            self.node_modality,
            self.node_value,
            self.pos,
            self.neg,
        )
    }
}
